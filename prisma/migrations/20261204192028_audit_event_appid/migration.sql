-- AlterTable
ALTER TABLE "audit_events" ADD COLUMN     "appid" VARCHAR(32);
