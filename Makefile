# Two commands do all the set-up: `make run` and `make test`. Both create .venv at the root.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup native run test lint bench clean fuzz

# The bytecode of src/ is compiled here (an editable install does not, and with PYTHONDONTWRITEBYTECODE set every
# process would compile each module again: about 0.1 s of every CLI start); up-to-date files are skipped.
# Then the compiled core (src/igclaim/_native.py): mypyc builds it when a source changed since the last build (about
# 2 minutes; nothing to do otherwise). Without a C compiler, or with IGCLAIM_NATIVE=0, igclaim runs from source.
# Last, the bundled catalog built from refdata/ is kept for the processes that follow (src/igclaim/refdata/cache.py).
setup: $(STAMP)
	@$(BIN)/python -m compileall -q src > /dev/null
	@$(BIN)/python scripts/native.py
	@$(BIN)/python -c "from igclaim.refdata.cache import main; main()"

native: $(STAMP)
	$(BIN)/python scripts/native.py --force
	$(BIN)/python -c "from igclaim.refdata.cache import main; main()"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

run: setup
	$(BIN)/igclaim build $(filter-out $(wildcard examples/*-scrub-*.json),$(wildcard examples/*.json)) --format table
	$(BIN)/igclaim scrub $(wildcard examples/*-scrub-*.json) --format table

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts setup.py
	$(BIN)/mypy

# The browser and Spark tests' Chromium and Java are installed first when missing (scripts/test-tools.sh), and the
# team-service tests also run against a throw-away PostgreSQL that the script installs and starts (else they skip).
# Then the in-process rule tests (mutmut's selection, pyproject.toml) once more with the core run from source
# (IGCLAIM_PURE=1, about a minute): the suite above ran the compiled core when it is built, and both must answer alike.
RULE_TESTS := import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['tool']['mutmut']['pytest_add_cli_args_test_selection']))
test: lint
	scripts/test-tools.sh
	IGCLAIM_TEST_POSTGRES_URL=$${IGCLAIM_TEST_POSTGRES_URL:-$$(scripts/postgres-test.sh)} $(BIN)/pytest
	tests=$$($(BIN)/python -c "$(RULE_TESTS)") && IGCLAIM_PURE=1 $(BIN)/pytest -p no:randomly $$tests

# The long fuzz run (docs/testing.md): 100,000 charts through the library, 1,000 through the CLI, 837s by pyx12.
fuzz: setup
	$(BIN)/python tests/fuzz_run.py --library $(or $(FUZZ_LIBRARY),100000) --cli $(or $(FUZZ_CLI),1000)

# Mutation testing of the rules (docs/testing.md), not part of `make test`: mutmut over coding/ and edits/ with the
# in-process rule tests ([tool.mutmut] in pyproject.toml), one worker; then the refdata values (scripts/mutate_data.py).
.PHONY: mutate
# It works on a copy of HEAD in build/mutate (keep editing meanwhile) whose @edit/@also_check checks are registered
# without a decorator (scripts/mutate_undecorate.py), since mutmut skips decorated functions.
# MUTANTS="igclaim.edits.drug*" limits the run to some functions.
MUTATE_DIR := build/mutate
# Every mutant's run builds the catalog from its own code: mutmut switches mutants on by environment, not by file, so
# a kept catalog (refdata/cache.py) of one mutant's build would answer for the next one's.
mutate mutate-refdata: export IGCLAIM_NO_CATALOG_CACHE = 1
mutate: setup
	rm -rf $(MUTATE_DIR) && mkdir -p $(MUTATE_DIR)
	git archive HEAD | tar -x -C $(MUTATE_DIR)
	$(BIN)/python scripts/mutate_undecorate.py $(MUTATE_DIR)/src/igclaim/edits
	cd $(MUTATE_DIR) && $(CURDIR)/$(BIN)/mutmut run --max-children 1 $(MUTANTS)
	cd $(MUTATE_DIR) && $(CURDIR)/$(BIN)/mutmut results
	$(BIN)/python scripts/mutate_data.py $(MUTATE_DATA_ARGS)

# The refdata code (dated lookups, snapshots, loaders, ICD-10-CM, coverage policies), not part of `make mutate`:
# mutmut in the copy with only_mutate set to those files, then every survivor once more in a fresh process
# (scripts/mutate_fresh.py, which first checks that the child imports the mutated copy and can kill), since the
# loaders run once per process, before mutmut forks its mutants' runs. Results: build/mutate/fresh.txt.
.PHONY: mutate-refdata
REFDATA_CODE := "src/igclaim/refdata/dated.py", "src/igclaim/refdata/resolver.py", "src/igclaim/refdata/rules.py", \
	"src/igclaim/refdata/icd10.py", "src/igclaim/refdata/coverage.py"
mutate-refdata: setup
	rm -rf $(MUTATE_DIR) && mkdir -p $(MUTATE_DIR)
	git archive HEAD | tar -x -C $(MUTATE_DIR)
	$(BIN)/python scripts/mutate_undecorate.py $(MUTATE_DIR)/src/igclaim/edits
	sed -i 's|^only_mutate = .*|only_mutate = [$(REFDATA_CODE)]|' $(MUTATE_DIR)/pyproject.toml
	cd $(MUTATE_DIR) && $(CURDIR)/$(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python scripts/mutate_fresh.py $(MUTATE_DIR) --out $(MUTATE_DIR)/fresh.txt

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	[ ! -x $(BIN)/python ] || $(BIN)/python scripts/native.py --clean
	rm -f src/igclaim/refdata/__pycache__/*.pickle
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build dist
