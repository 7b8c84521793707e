"""The monthly progress report, the dashboards of each role, and their exports."""
