-- The twin of the PostgreSQL migration of the same name (written by hand: docs/database.md).
-- One ALTER: MySQL commits each DDL statement on its own, so the three changes go in one.

-- AlterTable
ALTER TABLE `identities` ADD COLUMN `platform` VARCHAR(16) NOT NULL DEFAULT 'wechat',
    DROP INDEX `identities_unionid_idx`,
    ADD INDEX `identities_unionid_platform_idx`(`unionid`, `platform`);
