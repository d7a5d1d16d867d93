"""``python -m hw_tests``: every hardware check, then a summary."""

from hw_tests.suite import main

raise SystemExit(main())
