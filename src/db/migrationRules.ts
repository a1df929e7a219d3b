/**
 * Expand, then contract: the rule every migration in prisma/migrations and prisma/mysql/migrations
 * keeps, so that instances of the previous release go on working against a schema the next
 * release has migrated (a rolling deploy runs both for a while; docs/database.md, "Migrations in
 * a rolling deploy").
 *
 * A release only adds: tables, nullable columns (or columns with a default), indexes, data. A
 * drop, a rename, a type change or a new NOT NULL on an existing column ships later, in a
 * migration of its own named `<stamp>_<name>_contract` whose first line is
 * `-- contract: <what goes>, unused since <release>`: after the code stopped using it.
 */

/** Migrations written before the rule, kept as they were applied (the identities move dropped two columns). */
export const BEFORE_THE_RULE = "20261122015040_identities";

/** What the rule refuses outside a contract migration, with a name for the message. */
const DESTRUCTIVE: [RegExp, string][] = [
  [/\bDROP\s+(TABLE|COLUMN|TYPE|SCHEMA|VIEW)\b/i, "drops a $1"],
  [/\bRENAME\b/i, "renames"],
  [/\bALTER\s+COLUMN\s+"?\w+"?\s+(SET\s+DATA\s+)?TYPE\b/i, "changes a column's type"],
  [/\bALTER\s+COLUMN\s+"?\w+"?\s+SET\s+NOT\s+NULL\b/i, "makes an existing column NOT NULL"],
  [/\bADD\s+COLUMN\s+["`]?\w+["`]?\s+[^,;]*\bNOT\s+NULL\b(?![^,;]*\bDEFAULT\b)/i, "adds a NOT NULL column without a default"],
  // MySQL's forms (prisma/mysql/migrations): MODIFY restates a column (type, nullability), CHANGE
  // also renames it.
  [/\bMODIFY\s+(COLUMN\s+)?`?\w+`?/i, "changes a column (MODIFY)"],
  [/\bCHANGE\s+(COLUMN\s+)?`?\w+`?\s+`?\w+`?/i, "renames or changes a column (CHANGE)"],
  [/\bTRUNCATE\b/i, "truncates a table"],
  [/\bDELETE\s+FROM\b/i, "deletes rows"],
];

/**
 * Checks one migration against the rule.
 * @param name - its directory name
 * @param sql - its migration.sql
 * @returns what breaks the rule, one line each; empty when it keeps it
 */
export function ruleViolations(name: string, sql: string): string[] {
  if (name <= BEFORE_THE_RULE) return [];
  if (name.endsWith("_contract")) {
    return /^-- contract: .+, unused since .+/.test(sql)
      ? []
      : [`${name}: a contract migration opens with "-- contract: <what goes>, unused since <release>"`];
  }
  // Comments say what a statement does; only statements count.
  const statements = sql.replace(/--[^\n]*/g, "");
  return DESTRUCTIVE.flatMap(([pattern, what]) => {
    const found = pattern.exec(statements);
    return found
      ? [
          `${name}: ${what.replace("$1", (found[1] ?? "").toLowerCase())} (name it <stamp>_<name>_contract, in a release after the code stopped using it)`,
        ]
      : [];
  });
}
