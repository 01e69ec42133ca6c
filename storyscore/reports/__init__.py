"""What storyscore tells authors about a story: outline, explain, metrics."""
