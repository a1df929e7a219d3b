-- DropIndex
DROP INDEX "identities_unionid_idx";

-- AlterTable
ALTER TABLE "identities" ADD COLUMN     "platform" VARCHAR(16) NOT NULL DEFAULT 'wechat';

-- CreateIndex
CREATE INDEX "identities_unionid_platform_idx" ON "identities"("unionid", "platform");
