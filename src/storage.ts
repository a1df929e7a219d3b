/**
 * Storage failures: when Redis or PostgreSQL cannot answer, the client gets 503
 * SERVICE_UNAVAILABLE and the cause goes to the log (errorHandler.ts logs `cause`).
 */
import { AppError, serviceUnavailable } from "./errors.js";

/**
 * Runs a storage operation, turning any failure that is not already an AppError into a 503.
 * @throws AppError 503 SERVICE_UNAVAILABLE carrying the original error as `cause`
 */
export async function storage<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw serviceUnavailable(err);
  }
}
