// Schema migrations, applied in order and recorded in schema_migrations.
// The SQL is kept portable (no SQLite-only syntax past the column types) so the
// PostgreSQL store can run the same statements with its own id column type.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'hosts, boots, events, commands',
    sql: `
      CREATE TABLE hosts (
        id TEXT PRIMARY KEY,
        first_seen_ms BIGINT NOT NULL,
        last_seen_ms BIGINT NOT NULL,
        online INTEGER NOT NULL DEFAULT 0,
        boot_id TEXT NOT NULL DEFAULT '',
        inventory TEXT NOT NULL DEFAULT '{}',
        backend TEXT NOT NULL DEFAULT 'BACKEND_UNSPECIFIED',
        enforcement TEXT,
        health TEXT,
        last_sample TEXT,
        reports BIGINT NOT NULL DEFAULT 0,
        events BIGINT NOT NULL DEFAULT 0,
        clock_offset_ms DOUBLE PRECISION NOT NULL DEFAULT 0
      );
      CREATE TABLE boots (
        host_id TEXT NOT NULL,
        boot_id TEXT NOT NULL,
        last_seq BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (host_id, boot_id)
      );
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        host_id TEXT NOT NULL,
        boot_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        idx INTEGER NOT NULL,
        received_at_ms BIGINT NOT NULL,
        observed_at_ms BIGINT NOT NULL,
        kind TEXT NOT NULL,
        signature TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        baseline DOUBLE PRECISION NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        count INTEGER NOT NULL,
        cleared INTEGER NOT NULL,
        evidence TEXT NOT NULL,
        UNIQUE (host_id, boot_id, seq, idx)
      );
      CREATE INDEX events_host_time ON events (host_id, received_at_ms);
      CREATE INDEX events_signature ON events (signature, received_at_ms);
      CREATE TABLE commands (
        id TEXT PRIMARY KEY,
        host_id TEXT NOT NULL,
        body TEXT NOT NULL,
        issued_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL,
        status TEXT NOT NULL,
        result_message TEXT NOT NULL DEFAULT '',
        rules TEXT NOT NULL DEFAULT '[]',
        state TEXT,
        updated_at_ms BIGINT NOT NULL
      );
      CREATE INDEX commands_host_status ON commands (host_id, status, issued_at_ms);
    `,
  },
];

MIGRATIONS.push({
  version: 2,
  name: 'enrolled agents, enrollment tokens, operators, audit chain',
  sql: `
    CREATE TABLE agents (
      id TEXT PRIMARY KEY,
      cert_fingerprint TEXT NOT NULL,
      enrolled_at_ms BIGINT NOT NULL,
      cert_not_after_ms BIGINT NOT NULL,
      revoked INTEGER NOT NULL DEFAULT 0,
      reenroll_allowed INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE enrollment_tokens (
      hash TEXT PRIMARY KEY,
      id TEXT NOT NULL,
      created_at_ms BIGINT NOT NULL,
      expires_at_ms BIGINT NOT NULL,
      max_uses INTEGER NOT NULL,
      used INTEGER NOT NULL DEFAULT 0,
      tags TEXT NOT NULL,
      revoked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE operators (
      name TEXT PRIMARY KEY,
      role TEXT NOT NULL,
      token_hash TEXT NOT NULL UNIQUE,
      created_at_ms BIGINT NOT NULL
    );
    CREATE TABLE audit (
      seq BIGINT PRIMARY KEY,
      at_ms BIGINT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      detail TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    );
  `,
});

MIGRATIONS.push({
  version: 3,
  name: 'state snapshots of the in-memory stages',
  sql: `
    CREATE TABLE state (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      updated_at_ms BIGINT NOT NULL
    );
  `,
});

MIGRATIONS.push({
  version: 4,
  name: 'controller state written as it changes: counters, acks, silences, playbook overrides, runs, actions, isolations',
  sql: `
    CREATE TABLE counters (
      name TEXT PRIMARY KEY,
      value BIGINT NOT NULL
    );
    CREATE TABLE alert_acks (
      alert_id TEXT PRIMARY KEY,
      by_name TEXT NOT NULL,
      at_ms BIGINT NOT NULL
    );
    CREATE TABLE silences (
      id TEXT PRIMARY KEY,
      body TEXT NOT NULL,
      ends_at_ms BIGINT NOT NULL,
      updated_at_ms BIGINT NOT NULL
    );
    CREATE TABLE playbook_overrides (
      name TEXT PRIMARY KEY,
      enabled INTEGER NOT NULL,
      by_name TEXT NOT NULL,
      at_ms BIGINT NOT NULL
    );
    CREATE TABLE playbook_runs (
      id TEXT PRIMARY KEY,
      playbook TEXT NOT NULL,
      status TEXT NOT NULL,
      started_at_ms BIGINT NOT NULL,
      updated_at_ms BIGINT NOT NULL,
      body TEXT NOT NULL
    );
    CREATE TABLE playbook_run_actions (
      run_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      body TEXT NOT NULL,
      PRIMARY KEY (run_id, seq)
    );
    CREATE TABLE playbook_isolations (
      id INTEGER PRIMARY KEY,
      playbook TEXT NOT NULL,
      at_ms BIGINT NOT NULL
    );
    CREATE INDEX playbook_isolations_time ON playbook_isolations (at_ms);
  `,
});

MIGRATIONS.push({
  version: 6,
  name: 'tags granted to hosts (by their enrollment token, by operators)',
  sql: `
    CREATE TABLE host_tags (
      host_id TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      source TEXT NOT NULL,
      granted_by TEXT NOT NULL,
      granted_at_ms BIGINT NOT NULL,
      PRIMARY KEY (host_id, key)
    );
  `,
});
