from .tasks import run_all

run_all = print  # noqa: F811 - the rebinding is the subject of this case
run_all("not a pool")
