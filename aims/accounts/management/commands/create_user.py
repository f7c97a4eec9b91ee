"""``manage.py create_user USERNAME --role ROLE [--email E] [--password P] [--token]``."""

from django.core.management.base import BaseCommand, CommandError

from aims.accounts.choices import Role
from aims.accounts.services import user_token, user_upsert_with_role
from aims.audit.context import audit_source
from aims.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Create a user in a role, or update an existing one. With --token, print its API token last."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(Role.values)}")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--token", action="store_true", help="Print the user's API token.")

    def handle(self, *args, **options):
        with audit_source("command"):
            try:
                user, created = user_upsert_with_role(
                    username=options["username"],
                    role=options["role"],
                    email=options["email"],
                    password=options["password"],
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                )
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
            verb = "Created" if created else "Updated"
            self.stdout.write(f"{verb} user '{user.username}' with role '{options['role']}'.")
            if options["token"]:
                self.stdout.write(user_token(user=user))
