import { EX_CONFIG, WtError } from '../errors.js';
import { logger } from '../log.js';
import { Engine, type EngineConfig, type EngineOptions } from './engine.js';
import { EngineError } from './errors.js';

/** The engine refused this host (PARTITIONS mismatch, old server, unreachable): one line, non-zero exit. */
export class EngineRefused extends WtError {
  constructor(message: string) {
    super('engine_refused', message, EX_CONFIG);
  }
}

/**
 * Engine.connect for a service process: an EngineError becomes a one-line refusal (runMain exits
 * with it), and a reconnect to a server older than 2.10 stops the process the same way.
 */
export async function connectEngine(config: EngineConfig, opts: EngineOptions = {}): Promise<Engine> {
  try {
    return await Engine.connect(config, {
      ...opts,
      onFatal: (err) => {
        logger().fatal(err.message);
        process.exit(EX_CONFIG);
      },
    });
  } catch (err) {
    if (err instanceof EngineError) throw new EngineRefused(err.message);
    throw err;
  }
}
