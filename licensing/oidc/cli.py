"""``flask --app wsgi oidc fake-idp``: the fake identity platform for development and the demo."""

from __future__ import annotations

import signal

import click
from flask.cli import AppGroup

from licensing.oidc.fake_idp import FakeIdentityProvider

group = AppGroup("oidc", help="The applicants' sign-in through the identity platform.")


@group.command("fake-idp")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5056, show_default=True, type=int)
@click.option("--client-id", default="licensing", show_default=True)
@click.option("--client-secret", default=None, help="Random when not given (printed).")
@click.option("--name", default="周网办", show_default=True, help="The person who signs in.")
@click.option("--id-number", default="130682199003070010", show_default=True)
@click.option("--represents", multiple=True, metavar="CODE=NAME",
              default=["91130682MA0DEM0X05=定州市网办示例有限公司"], show_default=True,
              help="A company the person is the legal representative of (repeatable).")
def fake_idp_command(host: str, port: int, client_id: str, client_secret: str | None,
                     name: str, id_number: str, represents: tuple[str, ...]):
    """Run the fake identity platform; point OIDC_* at it and sign in as an applicant."""
    fake = FakeIdentityProvider(host, port, client_id=client_id, client_secret=client_secret)
    companies = [dict(zip(("code", "name"), entry.split("=", 1), strict=True))
                 for entry in represents if "=" in entry]
    fake.set_person("demo-person", name, id_number, companies)

    def _stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    click.echo("fake identity platform; start the application with:")
    click.echo(f"  OIDC_ENABLED=1 OIDC_DISCOVERY_URL={fake.discovery_url} "
               f"OIDC_CLIENT_ID={client_id} OIDC_CLIENT_SECRET={fake.client_secret}")
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
