from django.db import migrations

DEFAULTS = [
    ("sembako", "Sembako", "Staple food parcel", 1),
    ("siap-saji", "Makanan siap saji", "Ready meal", 2),
    ("lebaran", "Paket lebaran", "Holiday parcel", 3),
]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    AidType = apps.get_model("targets", "AidType")
    for slug, name, name_en, order in DEFAULTS:
        AidType.objects.get_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "unit": "paket", "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("targets", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
