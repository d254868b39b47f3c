import { EngineError } from './errors.js';

/** 2.9 lets racing publishers through the fence on R3 streams and can stay leaderless after a kill. */
export const MIN_SERVER = { major: 2, minor: 10 } as const;

/** Refuses a server older than 2.10 (or with no readable version) with one line naming the version. */
export function checkServerVersion(version: string | undefined, where = 'NATS server'): void {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (!m)
    throw new EngineError(
      `${where} reports version ${JSON.stringify(version ?? '')}; cluster mode needs nats-server ${MIN_SERVER.major}.${MIN_SERVER.minor} or later`,
    );
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major < MIN_SERVER.major || (major === MIN_SERVER.major && minor < MIN_SERVER.minor)) {
    throw new EngineError(
      `${where} is version ${version}; cluster mode needs nats-server ${MIN_SERVER.major}.${MIN_SERVER.minor} or later (2.9 has fencing and leader election bugs)`,
    );
  }
}
