"""The class together: the board of lines students share (``board``: one SQLite index), the points it holds
made from a line's checkpoints (``points``) and the teacher's key that moderates it (``teacher``)."""
