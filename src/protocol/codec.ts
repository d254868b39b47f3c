import { Packr } from 'msgpackr';

/**
 * Plain msgpack (no record extension), so any process decodes any frame or log record alone.
 * The one encoding of frame bodies, log records and snapshot bodies.
 */
export const packr = new Packr({ useRecords: false, mapsAsObjects: true });
