-- Several mini-programs (issue #15): a user's WeChat identities move from users.openid/unionid to
-- their own table, one row per (appid, openid). Rows from the one-app days get appid '', which
-- the first start gives to the primary app (WECHAT_APPID, or the first of WECHAT_APPS): no user
-- changes id. Hand-edited after `npm run db:migration` so the data is copied before the columns go.

-- CreateTable
CREATE TABLE "identities" (
    "id" SERIAL NOT NULL,
    "appid" VARCHAR(32) NOT NULL,
    "openid" VARCHAR(128) NOT NULL,
    "unionid" VARCHAR(128),
    "user_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "identities_pkey" PRIMARY KEY ("id")
);

-- Copy every user's identity, in user order.
INSERT INTO "identities" ("appid", "openid", "unionid", "user_id", "created_at")
SELECT '', "openid", "unionid", "id", "created_at" FROM "users" ORDER BY "id";

-- CreateIndex
CREATE INDEX "identities_unionid_idx" ON "identities"("unionid");

-- CreateIndex
CREATE INDEX "identities_user_id_idx" ON "identities"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "identities_appid_openid_key" ON "identities"("appid", "openid");

-- AddForeignKey
ALTER TABLE "identities" ADD CONSTRAINT "identities_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- DropIndex
DROP INDEX "users_openid_key";

-- DropIndex
DROP INDEX "users_unionid_idx";

-- AlterTable
ALTER TABLE "users" DROP COLUMN "openid",
DROP COLUMN "unionid",
ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "users_phone_idx" ON "users"("phone");
