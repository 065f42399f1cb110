-- Clinic server, step 3 (docs/clinic-server.md): least privilege for the workstations' role.
-- Run in the records database as biofeedback_owner after every `biofeedback db migrate`:
--   psql "host=... dbname=biofeedback user=biofeedback_owner" -f tools/clinic-grants.sql
-- biofeedback_app may read and write records, never change the schema; it deletes only where
-- deleting is a feature (a patient, a session, a replaced dilator entry; the CBT hierarchy
-- steps, thought records and partner steps a patient removes, and the consent row that
-- set_cbt_consent replaces: the rows that hang off them, e.g. a step's practices, go by
-- ON DELETE CASCADE); the audit log is INSERT and SELECT only (SELECT so the
-- administrator can view it in the app), and a trigger refuses UPDATE, DELETE and TRUNCATE
-- on it for everyone.
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO biofeedback_app',
                 current_database());
END
$$;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO biofeedback_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM biofeedback_app;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO biofeedback_app;
GRANT DELETE ON patients, sessions, dilator_log TO biofeedback_app;
GRANT DELETE ON exposure_steps, thought_records, partner_steps, cbt_consent TO biofeedback_app;
REVOKE INSERT, UPDATE ON records_meta FROM biofeedback_app;
REVOKE UPDATE ON audit_log FROM biofeedback_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO biofeedback_app;
