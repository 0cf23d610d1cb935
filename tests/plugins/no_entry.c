/* no_entry.c: a valid shared library that lacks keepwarm_policy_entry. */
int keepwarm_not_the_entry(void) { return 42; }
