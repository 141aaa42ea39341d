"""Discovery: the real apps' routes against the plan (coverage), a plan skeleton, and seams."""
