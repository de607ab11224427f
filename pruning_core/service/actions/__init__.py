"""What the dashboard's controls start or read, without Streamlit: the jobs each button queues (``tasks``),
Play / Pause / Step (``player``), settings links (``links``), uploaded checkpoints (``uploads``) and pictures
(``pictures``)."""
