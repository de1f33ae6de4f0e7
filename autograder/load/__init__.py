"""Reading a submission: its files, its zips and notebooks."""
