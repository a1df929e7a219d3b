// Runs `prisma generate` without the native schema engine, which the Prisma CLI would otherwise
// try to download (docs/database.md). `generate` never executes the engine; it
// only checks that the file named by PRISMA_SCHEMA_ENGINE_BINARY exists, so this file will do.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

if (!existsSync("node_modules/prisma/build/index.js")) {
  // A production install (--omit=dev) has no Prisma CLI; it runs the client generated at build.
  console.log("prisma-generate: no Prisma CLI installed (production install); skipping");
  process.exit(0);
}
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? fileURLToPath(import.meta.url),
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
};
// Prisma keeps one provider per schema file: the MySQL/MariaDB copy of the model is written from
// prisma/schema.prisma (src/db/mysqlSchema.ts, loaded by Node's type stripping), then each file
// gets its own client (src/generated/prisma and src/generated/prisma-mysql).
const { mysqlSchemaOf } = await import("../src/db/mysqlSchema.ts");
writeFileSync("prisma/mysql/schema.prisma", mysqlSchemaOf(readFileSync("prisma/schema.prisma", "utf8")));
for (const schema of ["prisma/schema.prisma", "prisma/mysql/schema.prisma"]) {
  const result = spawnSync(process.execPath, ["node_modules/prisma/build/index.js", "generate", "--schema", schema], {
    stdio: "inherit",
    env,
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
