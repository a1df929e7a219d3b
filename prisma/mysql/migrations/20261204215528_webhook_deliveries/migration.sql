-- The twin of the PostgreSQL migration of the same name (written by hand: docs/database.md).

-- CreateTable
CREATE TABLE `webhook_deliveries` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `event_id` VARCHAR(32) NOT NULL,
    `type` VARCHAR(32) NOT NULL,
    `url` VARCHAR(2048) NOT NULL,
    `body` TEXT NOT NULL,
    `status` VARCHAR(16) NOT NULL DEFAULT 'pending',
    `attempts` INTEGER NOT NULL DEFAULT 0,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `next_attempt_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `give_up_at` DATETIME(3) NOT NULL,
    `last_attempt_at` DATETIME(3) NULL,
    `last_error` VARCHAR(200) NULL,

    INDEX `webhook_deliveries_status_next_attempt_at_idx`(`status`, `next_attempt_at`),
    INDEX `webhook_deliveries_status_id_idx`(`status`, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
