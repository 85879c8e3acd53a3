//! `textwgan prepare`: corpus files in, a versioned dataset directory out.
