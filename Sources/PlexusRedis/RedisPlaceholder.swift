import CHiredis
enum RedisPlaceholder {}
