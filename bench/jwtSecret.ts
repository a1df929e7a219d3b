/** The HS256 key the bench-only JWT server verifies with and the harness signs with. */
export const JWT_SECRET = new TextEncoder().encode(process.env.BENCH_JWT_SECRET ?? "bench-secret-bench-secret-bench-secret-0123");
