"""Partial indexes for the public figures (``kolaborasi.stats.figures``).

They live on the pledges and needs tables but serve only the stats queries, so they are
created here as SQL that SQLite and PostgreSQL both understand instead of in those
apps' models. Each covers only the rows a figure counts, so it stays small:

- ``stats_pledge_live_target_org``: pledges holding units, by target, with their
  organisation — collaborators in an area or per region become index-only probes
  per target instead of a scan of every pledge in the country.
- ``stats_need_held_target``: targets with a need holding units — reach.
- ``stats_need_met``: needs fully pledged (held ≥ quantity > 0) — rws_met.

Note: on SQLite, a later migration that rebuilds one of these tables (e.g. AlterField)
drops indexes the model state does not know; re-run this SQL after such a migration
(figures stay correct either way, only slower).
"""

from django.db import migrations

INDEXES = {
    "stats_pledge_live_target_org": ("pledges_pledge (target_id, organisation_id) WHERE quantity > released"),
    "stats_need_held_target": "targets_need (target_id) WHERE held > 0",
    "stats_need_met": "targets_need (aid_type_id, target_id) WHERE quantity > 0 AND held >= quantity",
}


class Migration(migrations.Migration):
    dependencies = [
        ("pledges", "0002_idempotency_key"),
        ("targets", "0004_need_target_cover_institution_idx"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {definition}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, definition in INDEXES.items()
    ]
