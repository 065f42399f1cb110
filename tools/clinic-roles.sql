-- Clinic server, step 1 (docs/clinic-server.md): the two database roles, as a superuser:
--   sudo -u postgres psql -f tools/clinic-roles.sql
--   sudo -u postgres createdb --owner=biofeedback_owner biofeedback
-- biofeedback_owner owns the tables and runs `biofeedback db migrate`, backups and restores;
-- biofeedback_app is what the workstations log in as (tools/clinic-grants.sql says what it may
-- do). Neither gets a password here: set them with psql's \password (never in a file).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'biofeedback_owner') THEN
    CREATE ROLE biofeedback_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'biofeedback_app') THEN
    CREATE ROLE biofeedback_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
