# Carets line up under wide (CJK) characters and combining accents.
scene 夜 "七つの夜" 3
    prompt "été au café" 2
