-- AlterTable
ALTER TABLE "users" ADD COLUMN     "banned_until" TIMESTAMPTZ(3);
