"""PostgreSQL refuses any change to an audit event but one: its actor set to NULL when that
user is deleted (the username stays in actor_name). SQLite relies on the model's guards."""

from django.db import migrations

CREATE = """
CREATE FUNCTION access_auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (NEW.id, NEW.actor_name, NEW.action, NEW.client_id, NEW.object_type,
            NEW.object_id, NEW.detail::text, NEW.at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.actor_name, OLD.action, OLD.client_id, OLD.object_type,
            OLD.object_id, OLD.detail::text, OLD.at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER access_auditevent_append_only
    BEFORE UPDATE OR DELETE ON access_auditevent
    FOR EACH ROW EXECUTE FUNCTION access_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS access_auditevent_append_only ON access_auditevent;
DROP FUNCTION IF EXISTS access_auditevent_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("access", "0003_auditevent"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
