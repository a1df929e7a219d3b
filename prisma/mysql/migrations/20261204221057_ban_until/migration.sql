-- The twin of the PostgreSQL migration of the same name (written by hand: docs/database.md).

-- AlterTable
ALTER TABLE `users` ADD COLUMN `banned_until` DATETIME(3) NULL;
