# gridmap — the two commands:  make run   (platform with Ledu demo data)
#                              make test  (the whole test suite, against a real PostGIS)
.PHONY: run test bootstrap lint typecheck bench clean-db

PY := .venv/bin/python

run:
	scripts/bootstrap.sh run
	GRIDMAP_ENV=$${GRIDMAP_ENV:-demo} $(PY) -m gis.cli.main run

test:
	scripts/bootstrap.sh test
	$(PY) -m pytest

lint:
	.venv/bin/ruff check gis api layers tests bench
	.venv/bin/ruff format --check gis api layers tests bench

typecheck:
	.venv/bin/mypy gis layers api

clean-db:
	-$(PY) -m gis.cli.main db stop
	rm -rf var/pg
