title "Empty"
