"""Fleet updates: releases signed by the office's update key, installed beside the running one."""
