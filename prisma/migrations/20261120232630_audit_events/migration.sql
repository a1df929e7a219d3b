-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" VARCHAR(32) NOT NULL,
    "actor" VARCHAR(16) NOT NULL,
    "user_id" INTEGER NOT NULL,
    "session_id" VARCHAR(64),
    "ip" VARCHAR(64),
    "detail" VARCHAR(500),

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_events_user_id_at_idx" ON "audit_events"("user_id", "at");
