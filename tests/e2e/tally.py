"""Counting passed, failed and skipped checks, and the closing line
('NAME: N passed, N failed, N skipped') that test runners read."""


class Tally:
    def __init__(self, name):
        self.name = name
        self.passed = self.failed = self.skipped = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}")
        return ok

    def skip(self, what):
        self.skipped += 1
        print(f"SKIP: {what}")

    def close(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed, "
              f"{self.skipped} skipped")
        return 1 if self.failed else 0
