"""Student tools: the self-check and the notebook template, generated into student_template/."""
