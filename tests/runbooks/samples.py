"""A runbook as a team writes it, every field and section filled in. Rollback comes last so
that the line numbers of everything else stay where the tests expect them."""

GOOD = """---
id: RUN-042
title: Cache stampede
category: incident
trigger: cache hit ratio < 50%
owner: platform-team
last_tested: 2025-01-15
match: [cache-*, stampede]
checks:
  hit-ratio: {run: "echo 42", timeout: 3s}
  health: {http: "http://127.0.0.1:9/health"}
---
## Scope
The shared cache tier.

## Prerequisites
- redis-cli

## Procedure
### Step 1: Verify alert
risk: low
check: hit-ratio
Look at the dashboard.
```
redis-cli info stats
```
Verification:
- [ ] ratio below 50%
- [ ] alert is real

### Step 2: Flush the hot key
risk: high
```
# not a heading
redis-cli del hot-key
```
Verification:
- [ ] hit ratio back above 90%

## Escalation
Page the platform on-call.

## Rollback
The key is rebuilt from the database on its next read:
```
redis-cli get hot-key
```
"""

