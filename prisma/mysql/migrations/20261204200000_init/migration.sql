-- The MySQL/MariaDB history starts at the model as of 20261204192028_audit_event_appid in
-- prisma/migrations: no MySQL database predates it. Written by hand in the Prisma CLI's MySQL
-- form (Prisma's WebAssembly schema engine has no MySQL connector); test/mysql.test.ts proves it
-- builds the same tables, columns and indexes as the PostgreSQL history. Every table is utf8mb4
-- whatever the server's or the connection's default: emoji nicknames need 4-byte UTF-8.

-- CreateTable
CREATE TABLE `users` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `nickname` VARCHAR(256) NULL,
    `avatar_url` VARCHAR(512) NULL,
    `phone` VARCHAR(32) NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updated_at` DATETIME(3) NOT NULL,
    `last_login_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `banned_at` DATETIME(3) NULL,
    `ban_reason` VARCHAR(500) NULL,
    `deleted_at` DATETIME(3) NULL,

    INDEX `users_phone_idx`(`phone`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `identities` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `appid` VARCHAR(32) NOT NULL,
    `openid` VARCHAR(128) NOT NULL,
    `unionid` VARCHAR(128) NULL,
    `user_id` INTEGER NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `identities_unionid_idx`(`unionid`),
    INDEX `identities_user_id_idx`(`user_id`),
    UNIQUE INDEX `identities_appid_openid_key`(`appid`, `openid`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `audit_events` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `action` VARCHAR(32) NOT NULL,
    `actor` VARCHAR(16) NOT NULL,
    `user_id` INTEGER NOT NULL,
    `session_id` VARCHAR(64) NULL,
    `ip` VARCHAR(64) NULL,
    `detail` VARCHAR(500) NULL,
    `appid` VARCHAR(32) NULL,

    INDEX `audit_events_user_id_at_idx`(`user_id`, `at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `identities` ADD CONSTRAINT `identities_user_id_fkey` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE;
