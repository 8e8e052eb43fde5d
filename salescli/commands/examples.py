"""The examples that end each command's help (``salescli deal win -h``), in one table.

Kept together so that they read as one voice and a test can check every one parses
against its command (tests/test_help.py); ``attach`` hangs them on the commands.
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "salescli demo",
        "salescli report due",
        "salescli customer add 'Acme Ltd' --phone '+1 555 0100' --tag vip",
    ),
    # customers
    "customer": ("salescli customer list --tag vip", "salescli customer show 'Acme Tools'"),
    "customer add": (
        "salescli customer add 'Acme Ltd' --contact 'Jane Roe' --phone '+1 555 0100' --tier A",
        "salescli customer add 北京科技 --region east --source referral --tag 重点客户",
        "salescli customer add 'Corner Shop' --owner bob --no-followup",
    ),
    "customer list": (
        "salescli customer list --tier A --owner alice",
        "salescli customer list --search acme",
        "salescli customer list -f csv > customers.csv",
    ),
    "customer show": ("salescli customer show 'Acme Tools Ltd'", "salescli customer show 12 -f json"),
    "customer edit": (
        "salescli customer edit 'Acme Tools' --tier A --add-tag vip",
        "salescli customer edit 12 --phone '' --field vat=DE123",
    ),
    "customer delete": ("salescli customer delete 'Old Name Ltd'", "salescli customer delete 12 --cascade --yes"),
    "customer merge": ("salescli customer merge 'Acme Tools' 'Acme Tools Ltd'", "salescli customer merge 41 12"),
    "customer duplicates": ("salescli customer duplicates", "salescli customer duplicates -f csv"),
    "customer classify": ("salescli customer classify -p 2026", "salescli customer classify -p last-quarter --apply"),
    # deals
    "deal": ("salescli deal list --open", "salescli deal win 12"),
    "deal add": (
        "salescli deal add '40 chairs' -c 'Acme Tools' --amount 12k --close eom",
        "salescli deal add 'Filters' -c 12 --product FLT-12 -q 10",
    ),
    "deal list": (
        "salescli deal list --open --owner alice",
        "salescli deal list --closing this-month",
        "salescli deal list --stage proposal -f csv",
    ),
    "deal show": ("salescli deal show 12", "salescli deal show 12 -f json"),
    "deal edit": ("salescli deal edit 12 --amount 15k --close 2026-12-20", "salescli deal edit 12 --owner bob"),
    "deal delete": ("salescli deal delete 12", "salescli deal delete 12 --yes"),
    "deal move": ("salescli deal move 12 proposal", "salescli deal move 12 negotiation --on yesterday"),
    "deal win": ("salescli deal win 12", "salescli deal win 12 --amount 11.5k --on 2026-11-20"),
    "deal lose": ("salescli deal lose 12 -r price", "salescli deal lose 12 -r 'went with a competitor' --on fri"),
    "deal pay": ("salescli deal pay 12 5000", "salescli deal pay 12 2.5k --on 2026-11-01"),
    # activities
    "activity": ("salescli activity log 'Acme Tools' -t call -s 'Pricing call'", "salescli activity list --open"),
    "activity log": (
        "salescli activity log 'Acme Tools' -t call -s 'Discussed pricing'",
        "salescli activity log 12 -t visit --score 5 --next 'Send the quote' --due fri",
    ),
    "activity plan": (
        "salescli activity plan 'Acme Tools' 'Send the quote' --due fri",
        "salescli activity plan 12 'Monthly check-in' --due 2026-12-01 -t call --every month",
    ),
    "activity done": ("salescli activity done 7", "salescli activity done 7 -n 'Left a message' --on yesterday"),
    "activity reschedule": ("salescli activity reschedule 7 mon", "salescli activity reschedule 7 2026-12-15"),
    "activity list": (
        "salescli activity list --open --owner alice",
        "salescli activity list -c 'Acme Tools' --done -p this-month",
    ),
    "activity delete": ("salescli activity delete 7", "salescli activity delete 7 --yes"),
    # reports
    "report": ("salescli report due", "salescli report funnel -p this-quarter"),
    "report due": (
        "salescli report due",
        "salescli report due --owner alice --days 14",
        "salescli report due --quiet-if-empty --check",
    ),
    "report funnel": ("salescli report funnel -p 2026-Q4", "salescli report funnel -p this-year --owner bob"),
    "report targets": ("salescli report targets", "salescli report targets -p 2026-11 --rep alice"),
    "report forecast": ("salescli report forecast", "salescli report forecast --months 6 -f csv"),
    "report stale": ("salescli report stale", "salescli report stale --days 30 --owner alice"),
    "report reps": ("salescli report reps -p this-month", "salescli report reps -p 2026 -f markdown"),
    "report customers": ("salescli report customers -p 2026", "salescli report customers -p last-quarter --limit 20"),
    "report sources": ("salescli report sources -p 2026", "salescli report sources --from 2026-01-01 --to 2026-06-30"),
    "report products": ("salescli report products -p this-quarter", "salescli report products -p 2026 -f csv"),
    "report lost": ("salescli report lost -p 2026", "salescli report lost -p this-year --owner bob"),
    "report receivables": ("salescli report receivables", "salescli report receivables --owner alice -f csv"),
    "report trend": ("salescli report trend", "salescli report trend --months 24 --owner bob -f csv"),
    # targets, reps, products, stages
    "target": ("salescli target set revenue 500k -p 2026-Q4", "salescli target list"),
    "target set": (
        "salescli target set revenue 500k -p 2026-Q4",
        "salescli target set won_deals 60 -p 2026 --split months",
        "salescli target set satisfaction 90% -p 2026 --rep alice",
    ),
    "target list": ("salescli target list", "salescli target list -p 2026-11 --rep alice"),
    "target delete": ("salescli target delete revenue -p 2026-Q4", "salescli target delete won_deals -p 2026-11 --rep alice"),
    "rep": ("salescli rep add carol --name 'Carol Lee'", "salescli rep list"),
    "rep add": (
        "salescli rep add carol --name 'Carol Lee' --email carol@example.com",
        "salescli rep add wei --region east --industry logistics --commission-rate 6%",
    ),
    "rep list": ("salescli rep list", "salescli rep list --active -f csv"),
    "rep show": ("salescli rep show alice", "salescli rep show alice -f json"),
    "rep edit": ("salescli rep edit alice --commission-rate 5.5%", "salescli rep edit carol --handle clee"),
    "rep deactivate": ("salescli rep deactivate bob", "salescli rep deactivate bob --reassign-to alice"),
    "rep activate": ("salescli rep activate bob", "salescli rep list --active"),
    "product": ("salescli product add CH-100 'Office chair' --price 120", "salescli product list"),
    "product add": (
        "salescli product add CH-100 'Office chair' --price 120 --cost 80",
        "salescli product add SVC-1 'Installation' --price 1.5k",
    ),
    "product list": ("salescli product list", "salescli product list --all -f csv"),
    "product show": ("salescli product show CH-100", "salescli product show CH-100 -f json"),
    "product edit": ("salescli product edit CH-100 --price 130", "salescli product edit CH-100 --cost ''"),
    "stage": ("salescli stage list", "salescli stage add demo --after qualified -p 50"),
    "stage list": ("salescli stage list", "salescli stage list -f json"),
    "stage add": ("salescli stage add demo --after qualified -p 50", "salescli stage add on-hold --kind lost"),
    "stage edit": ("salescli stage edit demo --name trial", "salescli stage edit proposal -p 65"),
    "stage delete": ("salescli stage delete demo", "salescli stage list"),
    # settings, files, safety
    "db": ("salescli db copy sales.db postgresql://ann@db.example.com/sales", "salescli db copy postgresql://ann@db.example.com/sales copy.db"),
    "db copy": (
        "salescli db copy sales.db postgresql://ann@db.example.com/sales",
        "salescli db copy postgresql://ann@db.example.com/sales sales-copy.db",
        "salescli db copy sales.db 'postgresql://ann@db.example.com/sales?sslmode=require'",
    ),
    "config": ("salescli config list", "salescli config set currency €"),
    "config get": ("salescli config get currency", "salescli config get stale_deal_days"),
    "config set": ("salescli config set currency ¥", "salescli config set stale_deal_days 21"),
    "config list": ("salescli config list", "salescli config list -f json"),
    "config path": ("salescli config path", "salescli --db ~/shop.db config path"),
    "init": ("salescli init", "salescli --db ~/shop.db init"),
    "demo": ("salescli demo", "salescli --db demo.db demo --force --customers 200"),
    "import": (
        "salescli import customers clients.csv --dry-run",
        "salescli import deals deals.csv --on-conflict update",
        "salescli import customers 客户.csv --map '客户全称=name' --skip-invalid",
    ),
    "export": (
        "salescli export customers -o customers.csv",
        "salescli export deals --excel -o deals.csv",
        "salescli export calendar --owner alice --days 30 -o alice.ics",
    ),
    "remind": ("salescli remind --dry-run", "salescli remind --rep alice --days 3", "salescli remind --attach-dashboard"),
    "dashboard": ("salescli dashboard -o sales.html", "salescli dashboard -o - > /var/www/sales/index.html"),
    "log": ("salescli log", "salescli log -n 50 -f csv"),
    "undo": ("salescli undo", "salescli undo --redo"),
    "backup": ("salescli backup", "salescli backup ~/backups/ --keep 7 --quiet"),
    "restore": ("salescli restore ~/backups/sales-20261120-020000.db", "salescli restore old.db --yes"),
}


def format_examples(lines: tuple[str, ...]) -> str:
    """The end of a help page: command lines to copy, kept as written (``\\b``)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def with_examples(epilog: Any, path: tuple[str, ...]) -> str:
    """``epilog`` (if any) followed by the examples of the command or group at ``path``."""
    texts = (epilog if isinstance(epilog, str) else "", format_examples(EXAMPLES[" ".join(path)]))
    return "\n\n".join(text for text in texts if text)


def attach(app: Any, prefix: tuple[str, ...] = ()) -> None:
    """Put the examples of each command and group of ``app`` (a Typer app at ``prefix``)
    at the end of its help (the epilog); every one has some: tests/test_help.py."""
    for command in app.registered_commands:
        command.epilog = with_examples(None, (*prefix, command.name or command.callback.__name__))
    for group in app.registered_groups:
        path = (*prefix, group.name)
        group.typer_instance.info.epilog = with_examples(group.typer_instance.info.epilog, path)
        attach(group.typer_instance, path)
