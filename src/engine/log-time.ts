// `logs --since/--until` (and docker's other time filters): a point in time written as RFC 3339
// (`2026-12-02T07:00:00Z`, a date alone, no zone = UTC here), a unix timestamp (`1700000000`,
// `1700000000.5`) or a duration back from now (`10m`, `1h30m`), as docker's GetTimestamp reads them.
import { HakoError } from '../util/errors.js';
import { parseDuration } from './run-extras.js';

/** Milliseconds since the epoch for `value`, relative to `now`. */
export function parseLogTime(value: string, flag: string, now = Date.now()): number {
  const fail = () => new HakoError(`invalid value for "${flag}": failed to parse value as time or duration: ${JSON.stringify(value)}`);
  if (/^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)/.test(value)) {
    try {
      return now - parseDuration(value, flag);
    } catch {
      throw fail();
    }
  }
  if (/^\d+(\.\d{1,9})?$/.test(value)) return Number(value) * 1000;
  const m = /^(\d{4}-\d\d-\d\d)(?:T(\d\d(?::\d\d(?::\d\d(?:\.\d{1,9})?)?)?)?)?(Z|[+-]\d\d:?\d\d)?$/.exec(value);
  if (!m) throw fail();
  const [, date, time = '00:00:00', zone = 'Z'] = m;
  const full = `${date}T${time.length === 2 ? `${time}:00:00` : time.length === 5 ? `${time}:00` : time}`;
  const ms = Date.parse(`${full.replace(/(\.\d{3})\d+/, '$1')}${zone === 'Z' ? 'Z' : zone.replace(/^([+-]\d\d)(\d\d)$/, '$1:$2')}`);
  if (Number.isNaN(ms)) throw fail();
  return ms;
}
