// docker's error replies: `{"message": "…"}` with the status its clients branch on (404: no such
// container/image/…, 409: conflict, 400: bad parameter, 500: anything else). The engine throws
// HakoErrors worded for a terminal; their words say which kind they are, as docker's errdefs would.
import { HakoError } from '../util/errors.js';

/** A failure with the HTTP status to answer it with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);

const NOT_FOUND = /\bno such (container|image|volume|network|exec instance|object|file or directory)\b|\bnot found\b(?! in \$PATH)|does not exist/i;
const CONFLICT =
  /already in use|is not running|is already (running|paused|stopped)|is (running|paused|restarting)\b|is not paused|is locked by|in use by|cannot remove/i;
const BAD_PARAMETER =
  /^(invalid|bad|unknown|missing)\b|invalid (value|argument|reference|port|signal|name)|must be|expected |requires? |is required|not supported|unknown (flag|signal|filter)/i;

/** The status for an error any layer threw. */
export function statusOf(err: unknown): number {
  if (err instanceof ApiError) return err.status;
  if (!(err instanceof HakoError)) return 500;
  if (NOT_FOUND.test(err.message)) return 404;
  if (CONFLICT.test(err.message)) return 409;
  if (BAD_PARAMETER.test(err.message)) return 400;
  return 500;
}

/** The `message` of docker's error body: the engine's own line; a bug's message without its stack. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
