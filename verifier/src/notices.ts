/**
 * Where the session cache reports what it does (a pino logger in the service; nothing in the
 * library, which throws from verify() instead): pino's `info` and `warn` take this form.
 */
export interface Notices {
  info(objOrMsg: object | string, msg?: string): void;
  warn(objOrMsg: object | string, msg?: string): void;
}
