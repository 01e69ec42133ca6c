scene a
    prompt "a forest"
    music tempo 300
