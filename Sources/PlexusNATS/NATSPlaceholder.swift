enum NATSPlaceholder {}
