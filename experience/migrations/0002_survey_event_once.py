"""One survey per plan-agreed case and per closed case: a re-run of the trigger (or two runs
at once) never schedules such a survey twice."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("experience", "0001_surveys_answers_follow_ups"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="survey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("case__isnull", False), ("trigger", "plan_agreed")),
                fields=("case",), name="experience_survey_one_per_plan_case"),
        ),
        migrations.AddConstraint(
            model_name="survey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("case__isnull", False), ("trigger", "case_closed")),
                fields=("case",), name="experience_survey_one_per_closed_case"),
        ),
    ]
