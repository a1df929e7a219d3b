/** Path parameters shared by several routers. */
import { invalidRequest } from "../errors.js";

/**
 * Parses a user id from a path.
 * @throws AppError 400 INVALID_REQUEST for anything but a positive 32-bit integer
 */
export function userIdParam(raw: string | undefined): number {
  if (!raw || !/^[1-9][0-9]{0,9}$/.test(raw) || Number(raw) > 2147483647) throw invalidRequest("userId must be a positive integer.");
  return Number(raw);
}
