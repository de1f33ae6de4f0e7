"""Reference (instructor) solutions to the homework; see /work/shared/assignment-api.md."""
