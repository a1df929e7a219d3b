/**
 * prisma/mysql/schema.prisma is generated from prisma/schema.prisma: Prisma keeps one provider per
 * schema file, so MySQL/MariaDB get a copy with the provider swapped and the PostgreSQL-only
 * attributes replaced. One model, two files that cannot drift: `npm run generate` writes the copy,
 * and a test fails when the file in the repository is not what this function makes of the model.
 */

/** The PostgreSQL-only parts of the model and what they become on MySQL. */
const REPLACEMENTS: [RegExp, string][] = [
  [/provider = "postgresql"/, 'provider = "mysql"'],
  // The MySQL client is generated beside the PostgreSQL one (src/generated/prisma-mysql).
  [/output(\s*)= "\.\.\/src\/generated\/prisma"/, 'output$1= "../../src/generated/prisma-mysql"'],
  // TIMESTAMPTZ has no MySQL twin. DATETIME(3) (Prisma's default) stores what it is given, with no
  // session time-zone conversion and no 2038 limit (TIMESTAMP has both); Prisma writes UTC.
  [/ @db\.Timestamptz\(3\)/g, " @db.DateTime(3)"],
];

/** The header the generated copy opens with, in place of the model's own first comment lines. */
const HEADER = `// GENERATED from prisma/schema.prisma by \`npm run generate\` (src/db/mysqlSchema.ts): edit the
// model there. The MySQL/MariaDB copy of the model; its migrations live in prisma/mysql/migrations.
`;

/**
 * The MySQL copy of a PostgreSQL model.
 * @param model - the text of prisma/schema.prisma
 * @returns the text prisma/mysql/schema.prisma must hold
 * @throws when a replacement no longer finds what it replaces (the model changed shape)
 */
export function mysqlSchemaOf(model: string): string {
  let text = model.replace(/^(\/\/[^\n]*\n)+/, "");
  for (const [pattern, replacement] of REPLACEMENTS) {
    if (!pattern.test(text)) throw new Error(`prisma/schema.prisma no longer has ${pattern}: update src/db/mysqlSchema.ts`);
    text = text.replace(pattern, replacement);
  }
  if (/@db\.(Timestamptz|Uuid|JsonB|Inet|Citext)\b/.test(text))
    throw new Error("a PostgreSQL-only type has no MySQL mapping in mysqlSchema.ts");
  return HEADER + text;
}
