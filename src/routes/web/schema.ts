import { z } from "zod";

/** POST /auth/web/ticket: the ticket from the login's redirect (256 random bits, base64url). */
export const ticketBody = z.object({ ticket: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be the ticket from the login's redirect") });
export type TicketBody = z.infer<typeof ticketBody>;
