-- The WAL archive's RPO: for each of N small commits, the time from COMMIT until the archiver (by its
-- application_name) reports that position flushed on its disk (pg_stat_replication.flush_lsn), in microseconds.
-- Used by bench/Measure-WalRpo.sh; CALL rpo_measure(runs, archiver_name) fills rpo_result.
CREATE TABLE IF NOT EXISTS rpo_probe (id bigserial PRIMARY KEY, note text, at timestamptz DEFAULT clock_timestamp());
CREATE TABLE IF NOT EXISTS rpo_result (n int, micros double precision);
TRUNCATE rpo_result;
CREATE OR REPLACE PROCEDURE rpo_measure(runs int, app text) LANGUAGE plpgsql AS $$
DECLARE lsn pg_lsn; t0 timestamptz; flushed pg_lsn;
BEGIN
  FOR i IN 1..runs LOOP
    INSERT INTO rpo_probe (note) VALUES (repeat('r', 200));
    COMMIT;
    lsn := pg_current_wal_lsn();
    t0 := clock_timestamp();
    LOOP
      SELECT flush_lsn INTO flushed FROM pg_stat_replication WHERE application_name = app;
      EXIT WHEN flushed >= lsn OR clock_timestamp() - t0 > interval '5 s';
      PERFORM pg_sleep(0.0002);
    END LOOP;
    INSERT INTO rpo_result VALUES (i, extract(epoch FROM clock_timestamp() - t0) * 1e6);
    COMMIT;
    PERFORM pg_sleep(0.02);
  END LOOP;
END $$;
